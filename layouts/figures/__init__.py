"""Figure builders: pure functions, DataFrame in, `go.Figure` out; no database, no Dash."""

"""How pages react: each module registers its callbacks explicitly with `register(app)`."""

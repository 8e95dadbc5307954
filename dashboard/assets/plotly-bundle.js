/* Point dcc.Graph's plotly.js loader at the partial bundle named in <meta name="plotly-bundle"> (see
   dashboard/plotly_bundle.py), and start fetching it now rather than when the first graph mounts.
   The renderer assigns window._dashPlotlyJSURL on start; the setter below keeps our URL. */
(function () {
    var meta = document.querySelector('meta[name="plotly-bundle"]');
    if (!meta || !meta.content) return;
    var url = meta.content;
    Object.defineProperty(window, '_dashPlotlyJSURL', {
        configurable: true,
        get: function () { return url; },
        set: function () {}
    });
    var link = document.createElement('link');
    link.rel = 'preload';
    link.as = 'script';
    link.href = url;
    document.head.appendChild(link);
})();

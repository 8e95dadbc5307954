/* 大屏: scale the fixed 1920×1080 screen canvas to the window with a CSS transform (never browser zoom).
   Sets --screen-scale / --screen-x / --screen-y on <html>; the canvas CSS uses them, so the value is in
   place before the canvas is even rendered and follows every resize. Letterboxed when not 16:9. */
(function () {
  "use strict";
  var WIDTH = 1920, HEIGHT = 1080;

  function fit() {
    var w = window.innerWidth, h = window.innerHeight;
    var scale = Math.min(w / WIDTH, h / HEIGHT);
    var style = document.documentElement.style;
    style.setProperty("--screen-scale", String(scale));
    style.setProperty("--screen-x", Math.max((w - WIDTH * scale) / 2, 0) + "px");
    style.setProperty("--screen-y", Math.max((h - HEIGHT * scale) / 2, 0) + "px");
  }

  window.addEventListener("resize", fit);
  fit();
})();

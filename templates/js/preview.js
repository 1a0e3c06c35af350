/* brief preview (pipeline/preview.py): reload the page after a save, show content errors over it.
 *
 * Served only by the preview, which adds it to every HTML page it serves; the published pages never
 * hold it. The page listens to the preview's events (Server-Sent Events): "reload" after a brief's
 * web edition was rebuilt, "state" with the errors of every brief. Errors of the page's own brief
 * (every brief's on the collection index) are shown in a panel at the top, over the last good page,
 * and the panel goes away when they are fixed.
 */
(function () {
  "use strict";

  var parts = location.pathname.split("/");
  var slug = parts.length > 2 ? decodeURIComponent(parts[1]) : "";
  var overlay = null;

  function mine(errors) {
    var found = [];
    Object.keys(errors).sort().forEach(function (name) {
      if (!slug || name === slug) {
        found = found.concat(errors[name]);
      }
    });
    return found;
  }

  function style(element, rules) {
    Object.keys(rules).forEach(function (key) { element.style.setProperty(key, rules[key]); });
    return element;
  }

  function show(problems) {
    if (!problems.length) {
      if (overlay) {
        overlay.parentNode.removeChild(overlay);
        overlay = null;
      }
      return;
    }
    if (!overlay) {
      overlay = style(document.createElement("section"), {
        "position": "fixed", "inset": "0 0 auto 0", "z-index": "2147483647", "max-height": "60vh",
        "overflow": "auto", "margin": "0", "padding": "1rem clamp(1rem, 4vw, 2.5rem)",
        "background": "#fff5f5", "color": "#111", "border-bottom": "0.25rem solid #b00020",
        "box-shadow": "0 0.4rem 1.5rem rgb(0 0 0 / 0.25)", "font": "400 0.95rem/1.45 system-ui, sans-serif",
        "direction": "ltr", "text-align": "left"
      });
      overlay.id = "brief-preview-errors";
      overlay.setAttribute("role", "alert");
      overlay.setAttribute("aria-label", "Errors in the brief");
      document.body.appendChild(overlay);
    }
    overlay.textContent = "";
    var heading = style(document.createElement("p"), {"margin": "0 0 0.5rem", "font-weight": "700",
                                                      "color": "#b00020"});
    heading.textContent = (problems.length === 1 ? "1 error" : problems.length + " errors") +
      " in the brief: the page below is the last good build.";
    overlay.appendChild(heading);
    var list = style(document.createElement("ul"), {"margin": "0", "padding": "0", "list-style": "none"});
    problems.forEach(function (problem) {
      var item = style(document.createElement("li"), {"margin": "0.3rem 0"});
      if (problem.where) {
        var where = style(document.createElement("code"), {"font": "600 0.9rem/1.4 ui-monospace, monospace",
                                                           "margin-right": "0.5em"});
        where.className = "where";
        where.textContent = problem.where;
        item.appendChild(where);
      }
      var message = document.createElement("span");
      message.className = "message";
      message.textContent = problem.message;
      item.appendChild(message);
      list.appendChild(item);
    });
    overlay.appendChild(list);
  }

  if (!window.EventSource) {
    return;
  }
  var events = new EventSource("/__brief__/events");
  events.addEventListener("state", function (event) {
    show(mine(JSON.parse(event.data).errors || {}));
  });
  events.addEventListener("reload", function (event) {
    var data = JSON.parse(event.data);
    if ((slug && data.slugs.indexOf(slug) >= 0) || (!slug && (data.index || data.slugs.length))) {
      location.reload();
    }
  });
})();

/* Note popovers for the web edition (pipeline/web.py): a progressive enhancement.
 *
 * Without this script every note marker is a link to its note at the end and back. With it, hovering
 * or focusing a marker also shows the note's text beside it, in a tooltip the marker is described by
 * (aria-describedby), so a screen reader reads the note with the marker. As WCAG 1.4.13 asks, the
 * popover stays while the pointer moves onto it, and Escape closes it without moving the focus.
 * Activating the marker still goes to the note. No library, no request, nothing stored.
 */
(function () {
  "use strict";

  var markers = document.querySelectorAll("a.noteref[href^='#'], a.footnote-ref[href^='#']");
  if (!markers.length || !("hidden" in document.body)) {
    return;
  }
  var popover = document.createElement("div");
  popover.className = "note-popover";
  popover.id = "note-popover";
  popover.setAttribute("role", "tooltip");
  popover.hidden = true;
  document.body.appendChild(popover);

  var current = null;
  var hideTimer = 0;
  var GAP = 6;
  var EDGE = 8;

  function noteOf(marker) {
    var id = decodeURIComponent(marker.getAttribute("href").slice(1));
    return document.getElementById(id);
  }

  // The note's text without its back links, ids or links: a tooltip holds nothing to activate.
  function fill(marker, note) {
    var copy = note.cloneNode(true);
    var drop = copy.querySelectorAll(".backlinks, .backlink, .footnote-letter");
    for (var i = 0; i < drop.length; i++) {
      drop[i].parentNode.removeChild(drop[i]);
    }
    var withId = copy.querySelectorAll("[id]");
    for (var j = 0; j < withId.length; j++) {
      withId[j].removeAttribute("id");
    }
    var links = copy.querySelectorAll("a");
    for (var k = 0; k < links.length; k++) {
      var span = document.createElement("span");
      while (links[k].firstChild) {
        span.appendChild(links[k].firstChild);
      }
      links[k].parentNode.replaceChild(span, links[k]);
    }
    popover.textContent = "";
    while (copy.firstChild) {
      popover.appendChild(copy.firstChild);
    }
    var number = document.createElement("span");
    number.className = "note-popover-number";
    number.textContent = marker.textContent.trim() + ".";
    var opening = popover.querySelector("p") || popover;
    var rest = opening.firstChild;
    if (!rest || rest.nodeType !== 3 || !/^\s/.test(rest.nodeValue)) {
      opening.insertBefore(document.createTextNode(" "), rest);
    }
    opening.insertBefore(number, opening.firstChild);
  }

  function place(marker) {
    var box = marker.getBoundingClientRect();
    var width = document.documentElement.clientWidth;
    var height = window.innerHeight;
    popover.style.left = "0px";
    popover.style.top = "0px";
    var own = popover.getBoundingClientRect();
    var rtl = getComputedStyle(marker).direction === "rtl";
    var left = rtl ? box.right - own.width : box.left;
    left = Math.max(EDGE, Math.min(left, width - own.width - EDGE));
    var below = box.bottom + GAP;
    var top = below + own.height > height - EDGE && box.top - GAP - own.height > EDGE
      ? box.top - GAP - own.height : below;
    popover.style.left = left + window.scrollX + "px";
    popover.style.top = top + window.scrollY + "px";
  }

  function show(marker) {
    clearTimeout(hideTimer);
    if (current === marker && !popover.hidden) {
      return;
    }
    var note = noteOf(marker);
    if (!note) {
      return;
    }
    hide();
    fill(marker, note);
    popover.hidden = false;
    place(marker);
    marker.setAttribute("aria-describedby", popover.id);
    current = marker;
  }

  function hide() {
    clearTimeout(hideTimer);
    if (current) {
      current.removeAttribute("aria-describedby");
    }
    current = null;
    popover.hidden = true;
  }

  function hideSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 250);
  }

  for (var i = 0; i < markers.length; i++) {
    markers[i].addEventListener("mouseenter", function (event) { show(event.currentTarget); });
    markers[i].addEventListener("mouseleave", hideSoon);
    markers[i].addEventListener("focus", function (event) { show(event.currentTarget); });
    markers[i].addEventListener("blur", hide);
    markers[i].addEventListener("click", hide);
  }
  popover.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
  popover.addEventListener("mouseleave", hideSoon);
  document.addEventListener("keydown", function (event) {
    if ((event.key === "Escape" || event.key === "Esc") && !popover.hidden) {
      hide();
    }
  });
  window.addEventListener("resize", function () {
    if (current) {
      place(current);
    }
  });
})();

// Faceted filtering of catalog listings, in the browser, without a framework or network.
// The full list is plain HTML; this script only hides items and keeps the filter in the URL
// (?domain=hep&technique=gnn&q=jet&sort=newest), so a filtered view can be shared and reloaded.
(function () {
  "use strict";

  function setup(listing) {
    var form = listing.querySelector("[data-kb-facets]");
    var list = listing.querySelector(".kb-items");
    var items = Array.prototype.slice.call(listing.querySelectorAll("[data-kb-item]"));
    var shown = listing.querySelector("[data-kb-shown]");
    if (!form || !list) return;
    form.hidden = false;

    function values(item, facet) {
      var raw = item.getAttribute("data-f-" + facet) || "";
      return raw ? raw.split("|") : [];
    }

    function readForm() {
      var state = { facets: {}, q: "", sort: "title" };
      form.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) {
        (state.facets[box.name] = state.facets[box.name] || []).push(box.value);
      });
      state.q = (form.querySelector("[data-kb-text]").value || "").trim().toLowerCase();
      state.sort = form.querySelector("[data-kb-sort]").value;
      return state;
    }

    function matches(item, state, skipFacet) {
      for (var facet in state.facets) {
        if (facet === skipFacet) continue;
        var have = values(item, facet);
        if (!state.facets[facet].some(function (v) { return have.indexOf(v) >= 0; })) return false;
      }
      if (state.q) {
        var text = item.getAttribute("data-kb-text") || "";
        return state.q.split(/\s+/).every(function (word) { return text.indexOf(word) >= 0; });
      }
      return true;
    }

    function apply(pushUrl) {
      var state = readForm();
      var count = 0;
      items.forEach(function (item) {
        var ok = matches(item, state, null);
        item.hidden = !ok;
        if (ok) count += 1;
      });
      if (shown) shown.textContent = String(count);
      // counts per value, given the other facets' filters
      form.querySelectorAll("[data-kb-facet]").forEach(function (group) {
        var facet = group.getAttribute("data-kb-facet");
        group.querySelectorAll("input[type=checkbox]").forEach(function (box) {
          var n = items.filter(function (item) {
            return matches(item, state, facet) && values(item, facet).indexOf(box.value) >= 0;
          }).length;
          box.parentNode.querySelector("[data-kb-count]").textContent = String(n);
          box.parentNode.classList.toggle("kb-empty", n === 0);
        });
      });
      var sorted = items.slice().sort(function (a, b) {
        if (state.sort === "newest") {
          var byDate = (b.getAttribute("data-kb-sort") || "").localeCompare(a.getAttribute("data-kb-sort") || "");
          if (byDate) return byDate;
        }
        return a.textContent.localeCompare(b.textContent);
      });
      sorted.forEach(function (item) { list.appendChild(item); });
      if (pushUrl) {
        var params = new URLSearchParams();
        Object.keys(state.facets).sort().forEach(function (facet) {
          state.facets[facet].forEach(function (v) { params.append(facet, v); });
        });
        if (state.q) params.set("q", state.q);
        if (state.sort !== "title") params.set("sort", state.sort);
        var query = params.toString();
        history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
      }
    }

    function restore() {
      var params = new URLSearchParams(location.search);
      form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        box.checked = params.getAll(box.name).indexOf(box.value) >= 0;
      });
      form.querySelector("[data-kb-text]").value = params.get("q") || "";
      form.querySelector("[data-kb-sort]").value = params.get("sort") === "newest" ? "newest" : "title";
    }

    form.addEventListener("change", function () { apply(true); });
    form.addEventListener("input", function () { apply(true); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(function () { apply(true); }, 0); });
    restore();
    apply(false);
  }

  function init() {
    document.querySelectorAll("[data-kb-listing]").forEach(setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

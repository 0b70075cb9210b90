/* calmdesk desk pages: keyboard navigation of the inbox, evidence highlighting, the composer.
   No inline scripts and no eval (the CSP forbids both); everything hangs off data attributes. */
(function () {
  "use strict";

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  /* ---- inbox: j / k move between rows, Enter opens (native link), / focuses the search ---- */
  function rowLinks() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-row] a.row-link"));
  }

  function moveRow(step) {
    var links = rowLinks();
    if (!links.length) return;
    var current = links.indexOf(document.activeElement);
    var next = current === -1 ? (step > 0 ? 0 : links.length - 1) : current + step;
    next = Math.max(0, Math.min(links.length - 1, next));
    links.forEach(function (link) { link.closest("tr").classList.remove("row-current"); });
    links[next].closest("tr").classList.add("row-current");
    links[next].focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "/") {
      var search = document.getElementById("f-q");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (document.body.classList.contains("page-inbox")) {
      if (event.key === "j") { event.preventDefault(); moveRow(1); }
      else if (event.key === "k") { event.preventDefault(); moveRow(-1); }
    }
  });

  document.addEventListener("keydown", function (event) {
    /* Escape leaves the search field (back to the list) */
    if (event.key === "Escape" && event.target && event.target.id === "f-q") {
      event.target.blur();
      var links = rowLinks();
      if (links.length) links[0].focus();
    }
  });

  /* ---- timeline: an emotion chip highlights its evidence words (hover, focus or press) ---- */
  function highlight(chip, on) {
    var entry = chip.closest(".entry");
    if (!entry) return;
    var emotion = chip.getAttribute("data-emotion");
    entry.querySelectorAll(".ev").forEach(function (span) {
      var keys = (span.getAttribute("data-ev") || "").split(" ");
      if (keys.indexOf(emotion) !== -1) span.classList.toggle("ev-on", on);
    });
  }

  document.addEventListener("mouseover", function (event) {
    var chip = event.target.closest && event.target.closest(".chip");
    if (chip) highlight(chip, true);
  });
  document.addEventListener("mouseout", function (event) {
    var chip = event.target.closest && event.target.closest(".chip");
    if (chip && chip.getAttribute("aria-pressed") !== "true") highlight(chip, false);
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.classList && event.target.classList.contains("chip")) highlight(event.target, true);
  });
  document.addEventListener("focusout", function (event) {
    var chip = event.target;
    if (chip.classList && chip.classList.contains("chip") && chip.getAttribute("aria-pressed") !== "true") {
      highlight(chip, false);
    }
  });

  /* ---- composer: apply a suggestion to the draft, then coach again ---- */
  /* the rule of an applied suggestion goes into the reply form's hidden "applied" field
     (space-separated, each rule once): the server keeps it with the reply if it is sent */
  function noteApplied(button) {
    var field = document.getElementById("reply-applied");
    var rule = button.getAttribute("data-rule") || "";
    if (!field || !rule || /\s/.test(rule)) return;
    var rules = field.value.split(/\s+/).filter(Boolean);
    if (rules.indexOf(rule) === -1 && rules.length < 50) rules.push(rule);
    field.value = rules.join(" ");
  }

  function applySuggestion(button) {
    var area = document.getElementById("reply-text");
    if (!area) return;
    var chars = Array.from(area.value); /* the coach's offsets count code points */
    var start = parseInt(button.getAttribute("data-start"), 10);
    var end = parseInt(button.getAttribute("data-end"), 10);
    var expect = button.getAttribute("data-expect") || "";
    var kind = button.getAttribute("data-kind");
    var text = button.getAttribute("data-text") || "";
    if (chars.slice(start, end).join("") !== expect) {
      /* the draft changed since it was coached: find the words again */
      var at = expect ? area.value.indexOf(expect) : -1;
      if (at === -1) {
        if (kind !== "insert") return;
        start = end = Math.min(start, chars.length);
      } else {
        start = Array.from(area.value.slice(0, at)).length;
        end = start + Array.from(expect).length;
      }
    }
    if (kind === "insert") end = start;
    var before = chars.slice(0, start).join("");
    area.value = before + text + chars.slice(end).join("");
    area.focus();
    var caret = before.length + text.length;
    area.setSelectionRange(caret, caret);
    noteApplied(button);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-apply]");
    if (button) { event.preventDefault(); applySuggestion(button); }
    var chip = event.target.closest && event.target.closest(".chip");
    if (chip) {
      var pressed = chip.getAttribute("aria-pressed") === "true";
      chip.setAttribute("aria-pressed", pressed ? "false" : "true");
      highlight(chip, !pressed);
    }
  });

  /* a changed draft needs a new confirmation of its promises */
  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "reply-text") {
      var step = document.getElementById("confirm-promises");
      if (step) step.remove();
    }
  });
})();

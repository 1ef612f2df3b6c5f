/* SafePassage pages: the little that needs a script. Everything works without it. */
(function () {
  "use strict";

  // Registration form: add and remove member blocks by copying the <template>.
  var list = document.querySelector("[data-members]");
  var template = document.getElementById("member-template");
  var add = document.querySelector("[data-add-member]");
  if (list && template && add) {
    var next = parseInt(list.getAttribute("data-next"), 10) || list.children.length;

    var blank = function (block) {
      var fields = block.querySelectorAll("input[type=text], input[type=tel], input[type=date], input:not([type])");
      for (var i = 0; i < fields.length; i++) {
        if (fields[i].value.trim() !== "") { return false; }
      }
      return block.querySelectorAll("input[type=checkbox]:checked").length === 0;
    };
    var renumber = function () {
      var blocks = list.querySelectorAll("[data-member]");
      for (var i = 0; i < blocks.length; i++) {
        var number = blocks[i].querySelector("[data-member-number]");
        if (number) { number.textContent = String(i + 1); }
        var remove = blocks[i].querySelector("[data-remove-member]");
        if (remove) { remove.hidden = blocks.length < 2; }
      }
    };

    // A fresh form starts with one block; the blank ones offered for use without a script go.
    if (list.hasAttribute("data-fresh")) {
      var blocks = list.querySelectorAll("[data-member]");
      for (var i = blocks.length - 1; i > 0; i--) {
        if (blank(blocks[i])) { blocks[i].parentNode.removeChild(blocks[i]); } else { break; }
      }
    }
    add.hidden = false;
    add.addEventListener("click", function () {
      list.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__i__/g, String(next)));
      next += 1;
      renumber();
      var block = list.lastElementChild;
      var first = block && block.querySelector("select, input");
      if (first) { first.focus(); }
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-remove-member]") : null;
      if (!button) { return; }
      var block = button.closest("[data-member]");
      if (block) { block.parentNode.removeChild(block); renumber(); }
    });
    renumber();
  }

  // Every form: one sending only (a second tap on a slow connection would send it twice).
  var forms = document.querySelectorAll("form[method=post]");
  for (var f = 0; f < forms.length; f++) {
    forms[f].addEventListener("submit", function (event) {
      var form = event.currentTarget;
      if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var b = 0; b < buttons.length; b++) { buttons[b].setAttribute("aria-busy", "true"); }
    });
  }
  // Back to a page kept in the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function () {
    for (var g = 0; g < forms.length; g++) {
      forms[g].removeAttribute("data-sent");
      var busy = forms[g].querySelectorAll("[aria-busy]");
      for (var k = 0; k < busy.length; k++) { busy[k].removeAttribute("aria-busy"); }
    }
  });
})();

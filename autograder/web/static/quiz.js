// Render the maths tokens of quiz pages with KaTeX (served from /static; no inline script).
document.querySelectorAll(".math[data-tex]").forEach(function (el) {
  katex.render(el.dataset.tex, el, { throwOnError: false, trust: false });
});

// The slip page's print button (CSP: no inline script).
document.getElementById("print-slip")?.addEventListener("click", () => window.print());

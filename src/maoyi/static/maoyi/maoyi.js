// Send Django's CSRF token with every htmx request (the token is in the page, not read from a cookie).
document.addEventListener("htmx:configRequest", function (event) {
  var input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input && !event.detail.headers["X-CSRFToken"]) {
    event.detail.headers["X-CSRFToken"] = input.value;
  }
});

"use strict";
// keycloak-js's third-party cookie check, step 1 of 2. keycloak-js loads this page in a hidden
// iframe before it relies on the login-status iframe (or on a hidden frame for check-sso): if a
// cookie set here can be read back on step 2, the login-status iframe can read its KEYCLOAK_SESSION
// cookie too, and the session cookie reaches a hidden frame. The test cookie has the attributes of
// those cookies (SameSite=Lax, Secure over https), so the answer is about the cookies that matter.

(async () => {
  if (!(await cookiesReadable())) {
    parent.postMessage("unsupported", "*");
    return;
  }
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = "KEYCLOAK_3P_COOKIE=supported; Max-Age=60; SameSite=Lax" + secure;
  location.replace("step2.html");
})();

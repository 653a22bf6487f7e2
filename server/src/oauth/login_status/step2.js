"use strict";
// keycloak-js's third-party cookie check, step 2 of 2: whether the cookie step 1 set came back.
// The answer carries nothing but "supported" or "unsupported", so any parent may have it.

const supported = document.cookie.split(";").some((pair) => pair.trim().startsWith("KEYCLOAK_3P_COOKIE="));
if (supported) {
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = "KEYCLOAK_3P_COOKIE=; Max-Age=0; SameSite=Lax" + secure;
}
parent.postMessage(supported ? "supported" : "unsupported", "*");

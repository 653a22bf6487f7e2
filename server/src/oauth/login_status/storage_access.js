// Shared by the login-status iframe and the third-party cookie check (prepended to each page's
// script, which its CSP hash covers whole).

// The Storage Access API where the browser has it: a third-party frame may be denied its cookies.
// Access granted before may be taken without a user gesture; asking anew needs one, which a hidden
// frame never gets (and the browser would log the refusal as an error).
async function cookiesReadable() {
  if (typeof document.hasStorageAccess !== "function") {
    return true;
  }
  if (await document.hasStorageAccess()) {
    return true;
  }
  try {
    const permission = await navigator.permissions.query({ name: "storage-access" });
    if (permission.state !== "granted") {
      return false;
    }
    await document.requestStorageAccess();
    return true;
  } catch {
    return false;
  }
}

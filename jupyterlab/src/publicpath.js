// Runs first in the bundle: webpack loads every further chunk (and fonts, images) from the URL the
// server put into the page config, since only the server knows its base URL.
function staticUrl() {
  const el = document.getElementById("jupyter-config-data");
  const config = el ? JSON.parse(el.textContent || "{}") : {};
  return config.fullStaticUrl || "";
}

__webpack_public_path__ = staticUrl() + "/";

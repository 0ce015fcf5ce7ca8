// The course's JupyterLab front end: the stock JupyterLab 4.5 plugins (listed in package.json,
// "jupyterlab" field; build.mjs writes them into app/extensions.js), started the way JupyterLab's
// own application does it: plugins registered, the service manager resolved from them, then the app.
// Prebuilt ("federated") extensions are not loaded: this build is the course's fixed set.
import { JupyterPluginRegistry, PageConfig } from "@jupyterlab/coreutils";
import "../app/style.js";
import { extensions, mimeExtensions } from "../app/extensions.js";

/** The plugins a module exports (one plugin or an array; ES or CommonJS module). */
function pluginsOf(mod) {
  const exported = Object.prototype.hasOwnProperty.call(mod, "__esModule") ? mod.default : mod;
  return Array.isArray(exported) ? exported : [exported];
}

async function main() {
  const { JupyterLab } = require("@jupyterlab/application");
  const { IConnectionStatus, IServiceManager } = require("@jupyterlab/services");
  const disabled = [];
  const deferred = [];
  const ignorePlugins = [];
  const availablePlugins = [];

  // Loads each package and keeps its enabled plugins; the page config may disable or defer some.
  const collect = (list) => {
    const active = [];
    for (const [name, load] of list) {
      let mod;
      try {
        mod = load();
      } catch (e) {
        console.error(`JupyterLab: could not load ${name}`, e);
        continue;
      }
      for (const plugin of pluginsOf(mod)) {
        const off = PageConfig.Extension.isDisabled(plugin.id);
        availablePlugins.push({
          id: plugin.id,
          description: plugin.description,
          requires: plugin.requires ?? [],
          optional: plugin.optional ?? [],
          provides: plugin.provides ?? null,
          autoStart: plugin.autoStart,
          enabled: !off,
          extension: name,
        });
        if (off) {
          disabled.push(plugin.id);
          continue;
        }
        if (PageConfig.Extension.isDeferred(plugin.id)) {
          deferred.push(plugin.id);
          ignorePlugins.push(plugin.id);
        }
        active.push(plugin);
      }
    }
    return active;
  };

  const mimePlugins = collect(mimeExtensions);
  const pluginRegistry = new JupyterPluginRegistry();
  pluginRegistry.registerPlugins(collect(extensions));
  const connectionStatus = await pluginRegistry.resolveOptionalService(IConnectionStatus);
  const serviceManager = await pluginRegistry.resolveRequiredService(IServiceManager);

  const lab = new JupyterLab({
    pluginRegistry,
    serviceManager,
    mimeExtensions: mimePlugins,
    connectionStatus,
    disabled: { matches: disabled, patterns: PageConfig.Extension.disabled.map((v) => v.raw) },
    deferred: { matches: deferred, patterns: PageConfig.Extension.deferred.map((v) => v.raw) },
    availablePlugins,
  });
  // Tests and the curious reach the app (lab.commands, lab.shell) as window.jupyterapp when the server
  // is started with --LabApp.expose_app_in_browser=True.
  if ((PageConfig.getOption("exposeAppInBrowser") || "").toLowerCase() === "true") {
    window.jupyterapp = lab;
  }
  await lab.start({ ignorePlugins, bubblingKeydown: true });
}

window.addEventListener("load", () => {
  main().catch((e) => console.error("JupyterLab failed to start", e));
});

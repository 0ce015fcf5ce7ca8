// The Submit button of the classic Notebook page on the course hub (loaded by nbconfig/notebook.json in
// scripts/hub/notebook, which the hub puts on each student server's JUPYTER_CONFIG_PATH and JUPYTER_PATH).
// A click saves the notebook, then asks the server extension (mbrl_submit.py) to submit the saved file
// (scripts/submit.mjs, as the student), and shows the outcome in a dialog: the submission's timestamped
// file name, or the error that says what is wrong. utils.ajax adds the XSRF header the server requires.
/* global define */
define(["jquery", "base/js/namespace", "base/js/utils", "base/js/dialog"], function ($, Jupyter, utils, dialog) {
  "use strict";

  function show(title, text, ok) {
    const body = $("<p/>").attr("id", "mbrl-submit-result").attr("data-ok", String(ok)).text(text);
    dialog.modal({
      title: title,
      body: body,
      buttons: { OK: { class: "btn-primary" } },
      notebook: Jupyter.notebook,
      keyboard_manager: Jupyter.keyboard_manager,
    });
  }

  function post(nb) {
    return new Promise(function (resolve, reject) {
      utils
        .ajax(utils.url_path_join(nb.base_url, "mbrl/submit"), {
          type: "POST",
          data: JSON.stringify({ path: nb.notebook_path }),
          contentType: "application/json",
          dataType: "json",
          processData: false,
        })
        .then(resolve, function (xhr) {
          const r = xhr.responseJSON;
          reject(new Error((r && (r.error || r.message)) || "the server answered " + xhr.status + " " + xhr.statusText));
        });
    });
  }

  function submitAssignment() {
    const nb = Jupyter.notebook;
    // Submission copies the file on disk: save the page first, so what is submitted is what the student sees.
    Promise.resolve(nb.save_notebook())
      .then(function () {
        return post(nb);
      })
      .then(
        function (r) {
          show("Assignment submitted", r.message + ". Your submission is the file " + r.file + ".", true);
        },
        function (e) {
          show("Not submitted", (e && e.message) || String(e), false);
        },
      );
  }

  function load_ipython_extension() {
    Jupyter.toolbar.add_buttons_group(
      [{ label: "Submit assignment", icon: "fa-paper-plane", callback: submitAssignment, id: "mbrl-submit" }],
      "mbrl-submit-group",
    );
  }

  return { load_ipython_extension: load_ipython_extension };
});

"""Unit tests of the course's JupyterLab server module and its save hook (jupyterlab/mbrl_lab.py,
jupyterlab/mbrl_outputs.py). Plain unittest, run by test/lab/server.test.ts with Debian's python3:

    /usr/bin/python3 -m unittest test/lab/mbrl_lab_test.py -v
"""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "jupyterlab"))

import mbrl_lab  # noqa: E402
import mbrl_outputs  # noqa: E402

VL = "application/vnd.vegalite.v5+json"


def chart(png=True):
    data = {VL: {"mark": "line"}, "image/svg+xml": "<svg/>", "text/plain": "<VegaLite 5 object>"}
    meta = {}
    if png:
        data["image/png"] = "iVBORw0KGgo" * 1000
        meta["image/png"] = {"width": 400}
    return {"output_type": "display_data", "data": data, "metadata": meta}


class DropRegenerableOutputs(unittest.TestCase):
    def test_drops_the_png_of_charts_only(self):
        photo = {"output_type": "display_data", "data": {"image/png": "AAAA"}, "metadata": {}}
        stream = {"output_type": "stream", "name": "stdout", "text": "ok\n"}
        nb = {"cells": [
            {"cell_type": "markdown", "source": "# t", "metadata": {}},
            {"cell_type": "code", "outputs": [chart(), stream, photo, chart(png=False)], "metadata": {}},
            {"cell_type": "code", "outputs": [{"output_type": "execute_result", "data": {VL: {}, "image/png": "B"}, "metadata": {}}]},
        ]}
        self.assertEqual(mbrl_outputs.drop_regenerable_outputs(nb), 2)
        first = nb["cells"][1]["outputs"]
        self.assertEqual(sorted(first[0]["data"]), sorted([VL, "image/svg+xml", "text/plain"]))
        self.assertNotIn("image/png", first[0]["metadata"])
        self.assertEqual(first[1], stream)
        self.assertEqual(first[2]["data"], {"image/png": "AAAA"})  # a picture that is not a chart stays
        self.assertEqual(sorted(nb["cells"][2]["outputs"][0]["data"]), [VL])
        self.assertEqual(mbrl_outputs.drop_regenerable_outputs(nb), 0)

    def test_pre_save_hook_trims_notebooks_and_ignores_other_files(self):
        model = {"type": "notebook", "content": {"cells": [{"cell_type": "code", "outputs": [chart()]}]}}
        before = len(json.dumps(model))
        mbrl_outputs.pre_save_hook(model, path="x.ipynb", contents_manager=None)
        self.assertLess(len(json.dumps(model)), before / 5)
        text = {"type": "file", "content": "image/png"}
        mbrl_outputs.pre_save_hook(text, path="x.txt")
        self.assertEqual(text, {"type": "file", "content": "image/png"})
        mbrl_outputs.pre_save_hook({"type": "notebook", "content": None})  # a rename: no content


class ServerModule(unittest.TestCase):
    def test_identity_for_any_current_user(self):
        self.assertEqual(mbrl_lab.identity("ada")["display_name"], "ada")
        self.assertEqual(mbrl_lab.identity({"name": "grace"})["initials"], "G")
        anon = mbrl_lab.identity(None)
        self.assertEqual(anon["username"], "anonymous")
        self.assertEqual(set(anon), {"username", "name", "display_name", "initials", "avatar_url", "color"})

    def test_build_info_needs_a_finished_build(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertIsNone(mbrl_lab.read_build_info(d))
            with open(os.path.join(d, "build.json"), "w") as f:
                json.dump({"name": "JupyterLab", "version": "4.5.1"}, f)
            self.assertIsNone(mbrl_lab.read_build_info(d))  # no index.html yet
            os.makedirs(os.path.join(d, "static"))
            open(os.path.join(d, "static", "index.html"), "w").close()
            self.assertEqual(mbrl_lab.read_build_info(d)["version"], "4.5.1")

    def test_extension_point_names_the_lab_app(self):
        (point,) = mbrl_lab._jupyter_server_extension_points()
        self.assertEqual(point["module"], "mbrl_lab")
        self.assertEqual(point["app"].name, "lab")
        self.assertTrue(issubclass(point["app"], mbrl_lab.LabServerApp))


if __name__ == "__main__":
    unittest.main()

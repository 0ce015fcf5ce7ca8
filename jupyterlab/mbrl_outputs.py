"""What a saved notebook keeps of a chart: the Vega/Vega-Lite spec and the SVG the course's display()
writes, not the PNG that JupyterLab's Vega renderer adds to every chart it draws (tens of kB each,
which would make saved notebooks and submissions grow without adding anything: JupyterLab redraws it
from the spec, and static viewers show the SVG).

Used as the Jupyter server's ContentsManager.pre_save_hook by `npm start` (the course's JupyterLab
and your own). Plain Python, no imports, so any jupyter_server can load it.
"""

VEGA_MIMES = (
    "application/vnd.vega.v5+json",
    "application/vnd.vegalite.v5+json",
    "application/vnd.vegalite.v4+json",
    "application/vnd.vegalite.v3+json",
)
REGENERABLE = ("image/png",)


def drop_regenerable_outputs(nb):
    """Removes, in place, the renderings a chart output can regenerate from its Vega spec; returns how
    many were removed. `nb` is a notebook as a dict (nbformat 4); other outputs are left alone."""
    removed = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not isinstance(data, dict) or not any(m in data for m in VEGA_MIMES):
                continue
            for mime in REGENERABLE:
                if mime in data:
                    del data[mime]
                    removed += 1
                    meta = out.get("metadata")
                    if isinstance(meta, dict):
                        meta.pop(mime, None)
    return removed


def pre_save_hook(model, **kwargs):
    """jupyter_server's ContentsManager.pre_save_hook: trims notebooks as they are saved."""
    if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
        drop_regenerable_outputs(model["content"])

/**
 * An animation player for a sequence of SVG frames: play, pause, step and scrub, in one
 * self-contained HTML output with no network access. Where a notebook's scripts do not run
 * (an untrusted notebook, nbconvert HTML viewed without JS), a CSS animation still loops the frames.
 */
import { ShapeError } from "../core/checks";
import { publish, newDisplayId } from "./jupyter";

export interface AnimationOptions {
  /** Frames per second (default 20). */
  fps?: number;
  /** Caption shown above the player. */
  title?: string;
  /** Optional caption per frame, e.g. "t = 1.25 s". */
  captions?: string[];
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The player's HTML for the given SVG frames. */
export function animationHtml(frames: string[], opts: AnimationOptions = {}): string {
  if (frames.length === 0) throw new ShapeError("animation: no frames given");
  if (opts.captions && opts.captions.length !== frames.length) {
    throw new ShapeError(`animation: ${opts.captions.length} captions for ${frames.length} frames`);
  }
  frames.forEach((f, i) => {
    if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(f)) throw new ShapeError(`animation: frame ${i} is not an SVG document`);
  });
  const fps = opts.fps ?? 20;
  if (!(fps > 0 && fps <= 120)) throw new RangeError(`animation: fps must be in (0, 120], got ${fps}`);
  const id = newDisplayId().replace(/[^a-zA-Z0-9-]/g, "");
  const n = frames.length;
  const period = n / fps;
  const slot = 100 / n;
  // CSS fallback: every frame is visible during its own slot of the loop.
  const css =
    `#${id} .f{position:absolute;top:0;left:0;visibility:hidden;animation:${id}-k ${period.toFixed(3)}s step-end infinite}` +
    `@keyframes ${id}-k{0%{visibility:visible}${slot.toFixed(4)}%{visibility:hidden}100%{visibility:hidden}}` +
    `#${id}.js .f{animation:none}#${id}.js .f.on{visibility:visible}` +
    `#${id} .stage{position:relative}#${id} .ctl{font:12px sans-serif;margin-top:4px}` +
    `#${id} .ctl button{margin-right:4px}#${id} .ctl input{vertical-align:middle;width:220px}`;
  const divs = frames
    .map(
      (f, i) => `<div class="f" style="animation-delay:${((i * period) / n).toFixed(3)}s${i === 0 ? ";position:relative" : ""}">${f}</div>`,
    )
    .join("");
  const captions = JSON.stringify(opts.captions ?? []);
  const script =
    `(function(){var r=document.getElementById("${id}");if(!r)return;r.className+=" js";` +
    `var fs=r.querySelectorAll(".f"),n=fs.length,i=0,t=null,s=r.querySelector("input"),` +
    `l=r.querySelector(".lbl"),b=r.querySelector(".play"),cap=${captions};` +
    `function show(k){fs[i].classList.remove("on");i=(k+n)%n;fs[i].classList.add("on");s.value=i;` +
    `l.textContent=(i+1)+" / "+n+(cap.length?"  "+cap[i]:"");}` +
    `function stop(){if(t){clearInterval(t);t=null;}b.textContent="\u25B6 play";}` +
    `function play(){if(t)return;t=setInterval(function(){show(i+1);},${(1000 / fps).toFixed(1)});b.textContent="\u275A\u275A pause";}` +
    `b.onclick=function(){t?stop():play();};` +
    `r.querySelector(".prev").onclick=function(){stop();show(i-1);};` +
    `r.querySelector(".next").onclick=function(){stop();show(i+1);};` +
    `s.oninput=function(){stop();show(+s.value);};show(0);play();})();`;
  return (
    `<div id="${id}" class="mbrl-animation">` +
    `<style>${css}</style>` +
    (opts.title ? `<div style="font:bold 13px sans-serif;margin-bottom:4px">${escapeHtml(opts.title)}</div>` : "") +
    `<div class="stage">${divs}</div>` +
    `<div class="ctl"><button class="play">\u25B6 play</button><button class="prev">\u25C0</button>` +
    `<button class="next">\u25B6|</button><input type="range" min="0" max="${n - 1}" value="0" step="1"> ` +
    `<span class="lbl">1 / ${n}</span></div>` +
    `<script>${script}</script></div>`
  );
}

/** Shows SVG frames as an animation player in the notebook; prints a one-line summary elsewhere. */
export function animate(frames: string[], opts: AnimationOptions = {}): void {
  const html = animationHtml(frames, opts);
  publish({
    "text/html": html,
    "text/plain": `<animation: ${frames.length} frames at ${opts.fps ?? 20} fps${opts.title ? `, ${opts.title}` : ""}>`,
  });
}

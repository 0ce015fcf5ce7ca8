/** Plots, progress bars and animations for the notebooks. */
export * from "./specs";
export { display, displayHtml, displayMarkdown, toSvg, plotBundle, withBundle, fitWidth, OUTPUT_WIDTH, VEGALITE_MIME } from "./display";
export { progress, formatDuration, type ProgressBar, type ProgressOptions } from "./progress";
export { animate, animationHtml, type AnimationOptions } from "./animation";
export { publish, inNotebook, type MimeBundle } from "./jupyter";
export { grayPng, imageRowsHtml, displayImageRows, type ImageRow, type ImageRowsOptions } from "./images";

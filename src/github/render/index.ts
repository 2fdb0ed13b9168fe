/** Report rendering: the run view model, the templates' renderer, and GitHub's size limits. */
export * from "./fit.js";
export { escapeMarkdown, formatDuration, inlineCode, stateEmoji, tableCell } from "./format.js";
export * from "./renderer.js";
export * from "./replies.js";
export * from "./view.js";

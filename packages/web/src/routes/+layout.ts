// The dashboard is a single-page app: everything renders in the browser, against the API of the
// server that serves it, and no page is prerendered (the build's fallback index.html serves all).
export const ssr = false;
export const prerender = false;

import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** The dashboard is a single-page app: static files, with index.html for every client route. */
/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    // The server answers every path that is not a file or /api with index.html.
    prerender: { entries: [] },
    version: { pollInterval: 0 },
  },
};

export default config;

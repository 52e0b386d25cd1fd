import { sveltekit } from '@sveltejs/kit/vite';
import { defaultClientConditions, defaultServerConditions, defineConfig } from 'vite';

// During `vite dev` the API lives on a separately started server (default port 8080).
const apiTarget = process.env.FLOTILLA_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [sveltekit()],
  // @flotilla/protocol is bundled from its TypeScript sources, so the dashboard builds without
  // building the protocol package first.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
  server: { proxy: { '/api': apiTarget } },
  build: {
    reportCompressedSize: false,
    rollupOptions: {
      // The protocol package only declares things (no I/O, no globals), so modules of it the
      // dashboard takes nothing from, such as the TypeBox schemas, are left out of the bundle.
      treeshake: { moduleSideEffects: (id) => !id.includes('/packages/protocol/src/') },
    },
  },
});

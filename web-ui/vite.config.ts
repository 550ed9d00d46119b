// Builds the web mail client into dist/web-ui, served by Cachet itself (no CDN at run time).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../dist/web-ui', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    // No inline scripts or styles: the page's CSP allows only 'self'.
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});

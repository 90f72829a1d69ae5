import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** Shared by the Vite build (src/renderer/vite.config.ts) and svelte-check. */
export default {
  preprocess: vitePreprocess(),
};

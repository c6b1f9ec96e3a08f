// Vite bundles the pages' scripts and styles into fixed names under `assets/`; build.rs
// runs this build and embeds the result in the binary (the out dir comes from it).
import { defineConfig } from 'vite'

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: process.env.WEB_OUT || 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    cssCodeSplit: true,
    modulePreload: false,
    rollupOptions: {
      input: {
        app: 'src/app.js',
        uploader: 'src/uploader.js',
      },
      output: {
        entryFileNames: 'assets/[name].js',
        chunkFileNames: 'assets/[name].js',
        assetFileNames: 'assets/[name][extname]',
      },
    },
  },
})

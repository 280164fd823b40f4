/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import { swPrecache } from "./scripts/sw-precache.ts";

// Relative base: `disfruta app serve` may mount the app under any path; HashRouter needs no rewrites.
export default defineConfig({
  base: "./",
  plugins: [react(), tailwindcss(), swPrecache()],
  build: {
    manifest: true,
    sourcemap: false,
    target: "es2022",
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      output: {
        codeSplitting: {
          // React, React DOM and React Router in one long-cached chunk: they change only when a dependency is
          // bumped, not with every app change (~82 kB gzip not re-downloaded after an app-only deployment). The
          // entry imports all of them statically, so the group moves no lazy code into the first load. viem is
          // deliberately NOT grouped: a group takes every matching module, and its lazily used parts (signing,
          // SIWE, secp256k1, CCIP, the write actions) would then load up front.
          groups: [{ name: "react", test: /[\\/]node_modules[\\/](react|react-dom|react-router|scheduler)[\\/]/ }],
        },
      },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});

/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import { swPrecache } from "./scripts/sw-precache.ts";

// Relative base: `disfruta app serve` may mount the app under any path; HashRouter needs no rewrites.
export default defineConfig({
  base: "./",
  plugins: [react(), tailwindcss(), swPrecache()],
  build: { manifest: true, sourcemap: false, target: "es2022", chunkSizeWarningLimit: 600 },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});

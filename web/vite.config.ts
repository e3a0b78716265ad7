/**
 * Builds the portal: root web/, entry web/index.html, output web/dist (served by the hub at / with an SPA
 * fallback). React, antd and ECharts go to their own long-cached chunks; the dev and preview servers proxy
 * /api to the hub (MERIDIAN_HUB_ORIGIN, default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));
const HUB_ORIGIN = process.env.MERIDIAN_HUB_ORIGIN ?? 'http://127.0.0.1:8080';
const API_PROXY = { '/api': { target: HUB_ORIGIN, changeOrigin: false } };

/** The Vite configuration (`vite build --config web/vite.config.ts`). */
export default defineConfig({
  root: WEB_ROOT,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: 'echarts', test: /node_modules[\\/](echarts|zrender)[\\/]/, priority: 30 },
            {
              name: 'react',
              test: /node_modules[\\/](react|react-dom|react-router|react-router-dom|scheduler)[\\/]/,
              priority: 20,
            },
            { name: 'antd', test: /node_modules[\\/]/, priority: 10 },
          ],
        },
      },
    },
  },
  server: { proxy: API_PROXY },
  preview: { proxy: API_PROXY },
});

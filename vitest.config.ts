import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node (npm test); `deploy` runs wasgi behind system
// services such as nginx (npm run test:deploy, after installing them).
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/deploy/**'] } },
      { extends: true, test: { name: 'deploy', include: ['test/deploy/**/*.test.ts'] } },
    ],
  },
});

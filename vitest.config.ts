import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The end-to-end suites spawn the built CLI and real kubectl; two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
})

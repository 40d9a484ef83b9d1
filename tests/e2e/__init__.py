"""End-to-end journeys: the app served over HTTP, driven by Chromium through Playwright."""

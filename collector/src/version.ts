// Kept equal to package.json's version by a test, so that a bundled build needs no file.
export const VERSION = '0.1.0';

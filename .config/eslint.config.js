// ESLint flat config for the whole workspace (run from the root: `pnpm lint`).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.tap/**', '**/coverage/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The agent takes only types from @vcio/shared; its run-time values come from
    // @vcio/shared/agent, which does not load the schema library (~15 MiB of memory).
    files: ['agent/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@vcio/shared',
              message:
                'values come from @vcio/shared/agent or @vcio/shared/assess; import only types from @vcio/shared',
              allowTypeImports: true,
            },
            { name: '@sinclair/typebox', message: 'the agent does not load the schema library' },
          ],
        },
      ],
    },
  },
  {
    // Tests assert on shapes they built; non-null assertions there are the assertion.
    files: ['**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
);

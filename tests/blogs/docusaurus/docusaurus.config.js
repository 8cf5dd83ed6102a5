// @ts-check

/** @type {import('@docusaurus/types').Config} */
const config = {
  title: 'Lattice Engineering',
  tagline: 'How we build Lattice',
  url: 'https://engineering.lattice.example',
  baseUrl: '/',
  onBrokenLinks: 'throw',
  favicon: 'img/favicon.svg',
  i18n: { defaultLocale: 'en', locales: ['en'] },
  presets: [
    [
      'classic',
      /** @type {import('@docusaurus/preset-classic').Options} */
      ({
        docs: false,
        blog: {
          showReadingTime: true,
          blogSidebarCount: 'ALL',
          blogSidebarTitle: 'All posts',
          feedOptions: { type: ['rss', 'atom'], xslt: false },
          onInlineTags: 'warn',
          onInlineAuthors: 'throw',
          onUntruncatedBlogPosts: 'ignore',
        },
        theme: { customCss: './src/css/custom.css' },
      }),
    ],
  ],
  themeConfig:
    /** @type {import('@docusaurus/preset-classic').ThemeConfig} */
    ({
      navbar: {
        title: 'Lattice Engineering',
        items: [{ to: '/blog', label: 'Blog', position: 'left' }],
      },
    }),
};

module.exports = config;

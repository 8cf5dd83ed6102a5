"""The prompt templates (Markdown files beside this one), shipped with the package."""

"""Lane 07 reports: figures (aggregate SQL), SVG charts and exports."""

"""Layout pieces every page shares: ids, the filter bar, the chart card, the headline-figure card."""

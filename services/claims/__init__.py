"""Claims: intake and receipt of FSEs, claim state and decisions, history, deletion, HNP, forms."""

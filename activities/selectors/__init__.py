"""Read queries and aggregations of activities."""

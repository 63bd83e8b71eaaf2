"""Read queries of accountability: evidence, due reviews, scorecards, the leaderboard."""

"""The pages of activities: the Day and week views, the team's selling time, the daily plan."""

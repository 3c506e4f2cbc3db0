"""API area `economy`.

Points, leaderboard, credits, gifts, endorsements and badges (docs/economy.md).
"""

"""Training and export of the course's churn model (ML Zoomcamp module 5)."""

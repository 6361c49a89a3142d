"""分析评估: performance evaluations from raw inputs (frameworks as data), unit risk
profiles and rankings, platform use, and the monthly report."""

"""Running the project with others: the team's MLflow server and sweeps of runs."""

"""Internal controls: incompatible posts (不相容岗位相互分离), conflicts of interest,
mitigations, and the control hits they produce for the risk engine."""

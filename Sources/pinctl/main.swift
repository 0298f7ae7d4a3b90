print("pinctl")

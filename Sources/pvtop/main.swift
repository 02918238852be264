print("pvtop")

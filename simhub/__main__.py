from simhub.cli import app

app(prog_name="simhub")

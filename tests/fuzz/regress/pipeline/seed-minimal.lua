pipeline { data = "d", steps = { "jobs_created" }, output = { dir = "o" } }

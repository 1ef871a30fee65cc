"""`playbook doctor`'s sentences that need no machine to check: what several GPUs mean for a training run."""


def test_several_gpus_are_towers_of_one_process_not_machines(data_root, template_playbook):
    doctor = template_playbook("playbook.machine.doctor")
    assert doctor.towers(1) == "1 GPU"
    text = doctor.towers(4)
    assert text.startswith("4 GPUs: the engine trains one tower on each, in one process")
    assert "4 x train_batch_size" in text and "more machines do not train one model" in text
    assert "Several GPUs in one machine" in text
